"""`python -m adapters.isg` runs the ISG adapter."""

from adapters.isg.app import main

main()
