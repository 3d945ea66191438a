"""The conformance kit: checks an adapter against a real broker, as the hub would judge it.

An integrator subclasses `ConformanceSuite` in a test module and overrides its `driver`
fixture with a `Driver` for the adapter (`FileExchangeDriver` and `ApiDriver` cover the SDK's
two institution sides). See `adapters/README.md`.
"""

from adapters.conformance.drivers import ApiDriver, Driver, FileExchangeDriver, HandOver, Wiring
from adapters.conformance.samples import Sample
from adapters.conformance.suite import ConformanceSuite

__all__ = [
    "ApiDriver",
    "ConformanceSuite",
    "Driver",
    "FileExchangeDriver",
    "HandOver",
    "Sample",
    "Wiring",
]
