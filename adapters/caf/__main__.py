"""`python -m adapters.caf` runs the caf adapter."""

from adapters.caf.app import main

main()
