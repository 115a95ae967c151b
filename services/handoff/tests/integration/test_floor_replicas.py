"""Two handoff replicas in one floor group: each answers every tenant's floor, asking the replica that holds it."""

from __future__ import annotations

from switchboard.core.testing.harness import wait_until
from switchboard.handoff.floor_stream import tenant_partition
from switchboard.handoff.testing import HandoffNode, console_login, customer_message

TENANTS = {"demo": 3, "acme": 2}  # conversations each


async def _floor(node: HandoffNode, tenant: str) -> dict:
    supervisor = await console_login(node, "han.mei", tenant=tenant)
    try:
        async with supervisor.get(f"{node.base_url}/console/api/floor") as response:
            assert response.status == 200
            return await response.json()
    finally:
        await supervisor.close()


async def test_each_replica_answers_for_the_tenants_whose_tables_the_other_holds(make_node, kafka_harness) -> None:
    assert {tenant_partition(t, 2) for t in TENANTS} == {0, 1}, "the tenants must be on different partitions"
    first = await make_node(floor_standby_replicas=1)
    second = await make_node(floor_standby_replicas=1)
    await kafka_harness.send(
        first.topics.inbound,
        *[
            customer_message(f"{tenant}-{n}", "你好", tenant_id=tenant, customer_id=f"u{n}")
            for tenant, count in TENANTS.items()
            for n in range(count)
        ],
    )
    owners = set()
    for node in (first, second):
        for tenant, count in TENANTS.items():

            async def answered(node=node, tenant=tenant, count=count) -> dict | None:
                figures = await _floor(node, tenant)
                return figures if figures["conversations"] == count and not figures["recovering"] else None

            figures = await wait_until(answered, timeout_s=60)
            owners.add((tenant, figures["answered_by"]))
    # Each tenant was answered by one replica, whichever was asked, and the two replicas share the tenants.
    assert {tenant for tenant, _ in owners} == set(TENANTS) and len(owners) == 2
    assert {url for _, url in owners} == {first.base_url, second.base_url}


async def test_without_an_answer_from_the_owner_a_replica_says_its_figures_are_incomplete(make_node) -> None:
    node = await make_node()
    node.floor.owner_url = lambda tenant: "http://127.0.0.1:1"  # an owner that does not answer
    figures = await _floor(node, "demo")
    assert figures["recovering"] is True and figures["answered_by"] == node.base_url
    assert figures["conversations"] == 0
