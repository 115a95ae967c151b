"""The demo tenant's shop data: the four orders of the demo flows and their relative dates."""

from __future__ import annotations

from datetime import date

from actions.shop import Order, load_shop_data

from switchboard.core.testing.plugin import repo_root

TODAY = date(2026, 6, 18)


def orders() -> dict[str, Order]:
    data = load_shop_data(repo_root() / "tenants" / "demo" / "actions" / "data")
    return {seed.order_id: Order.from_document(seed.document("demo", TODAY)) for seed in data.orders}


def test_demo_orders_match_the_flows() -> None:
    by_id = orders()
    assert set(by_id) == {"SB1001", "SB1002", "SB1003", "SB1004", "SB1005"}
    assert (by_id["SB1001"].status, by_id["SB1001"].tracking_number, by_id["SB1001"].phone_last4) == (
        "shipped",
        "SF1234567890",
        "3721",
    )
    assert by_id["SB1001"].carrier_name("en") == "SF Express"
    assert by_id["SB1002"].days_since_delivery(TODAY) == 3 and by_id["SB1002"].phone_last4 == "3721"
    assert by_id["SB1003"].status == "paid" and by_id["SB1003"].phone_last4 == "5580"
    assert by_id["SB1004"].days_since_delivery(TODAY) == 20 and by_id["SB1004"].phone_last4 == "5580"
    assert by_id["SB1001"].days_since_delivery(TODAY) is None
    assert by_id["SB1005"].days_since_delivery(TODAY) == 2 and by_id["SB1005"].phone_last4 == "8806"


def test_items_match_in_either_language_and_case() -> None:
    order = orders()["SB1002"]
    assert order.find_item("保温杯")["product"] == "保温杯"
    assert order.find_item("  insulated BOTTLE ")["product"] == "保温杯"
    assert order.find_item("蓝牙耳机") is None
    assert order.item_names("en") == ["Insulated bottle", "Canvas tote bag"]


def test_items_match_by_canonical_product_alias_and_loose_wording() -> None:
    watch = orders()["SB1004"]
    for wording in ("FitWatch S2", "the smart watch", "the watch", "手表", "FitWatch"):
        assert watch.find_item(wording)["product"] == "FitWatch S2", wording
    assert orders()["SB1002"].find_item("the bottle")["product"] == "保温杯"


def test_eligibility_is_known_from_the_order_alone() -> None:
    by_id = orders()
    assert by_id["SB1004"].refusal("return_item", TODAY) == "utter_return_refused"
    assert by_id["SB1004"].refusal("damaged_item", TODAY) == "utter_return_refused"
    assert by_id["SB1001"].refusal("return_item", TODAY) == "utter_return_not_delivered"
    assert by_id["SB1002"].refusal("return_item", TODAY) is None
    assert by_id["SB1001"].refusal("change_address", TODAY) == "utter_address_locked"
    assert by_id["SB1003"].refusal("change_address", TODAY) is None
    assert by_id["SB1004"].refusal("check_order", TODAY) is None


def test_policies_cover_the_shop_rules() -> None:
    policies = {p.id: p for p in load_shop_data(repo_root() / "tenants" / "demo" / "actions" / "data").policies}
    assert {
        "returns",
        "refunds",
        "shipping_fee",
        "dispatch",
        "address_change",
        "invoice",
        "warranty",
        "price_protection",
        "agent_hours",
    } <= set(policies)
    assert "7" in policies["returns"].text.zh and "¥99" in policies["shipping_fee"].text.en
