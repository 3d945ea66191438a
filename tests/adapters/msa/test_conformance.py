"""The msa adapter against the conformance kit: a real broker, the hub's own checks."""

from adapters.conformance import ConformanceSuite, Driver, FileExchangeDriver, Wiring
from adapters.msa.app import run
from adapters.msa.settings import MsaSettings


def _settings(wiring: Wiring) -> MsaSettings:
    return MsaSettings(
        kafka_bootstrap=wiring.bootstrap,
        root=wiring.root,
        poll_seconds=0.2,
        resend_after_seconds=wiring.resend_after,
    )


class TestConformance(ConformanceSuite):
    @staticmethod
    def driver() -> Driver:
        return FileExchangeDriver("msa", run, _settings)
