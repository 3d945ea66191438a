"""`python -m adapters.departement` runs the département adapter."""

from adapters.departement.app import main

main()
