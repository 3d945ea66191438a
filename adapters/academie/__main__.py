"""`python -m adapters.academie` runs the académie adapter."""

from adapters.academie.app import main

main()
