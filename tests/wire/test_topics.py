"""Topic names: one inbound and one outbound topic a partner, and nothing else is a sender's."""

from hub.wire.topics import all_topics, inbound, outbound, partner_of


def test_each_partner_has_one_topic_each_way() -> None:
    assert (inbound("caf"), outbound("caf")) == ("hub.in.caf", "hub.out.caf")
    assert all_topics(("caf", "isg")) == ["hub.in.caf", "hub.out.caf", "hub.in.isg", "hub.out.isg"]


def test_only_an_inbound_topic_names_a_sender() -> None:
    assert partner_of("hub.in.ccapex") == "ccapex"
    assert partner_of("hub.out.ccapex") is None
    assert partner_of("other.in.ccapex") is None
