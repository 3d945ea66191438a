"""`python -m adapters.ccapex` runs the ccapex adapter."""

from adapters.ccapex.app import main

main()
