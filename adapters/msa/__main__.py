"""`python -m adapters.msa` runs the msa adapter."""

from adapters.msa.app import main

main()
