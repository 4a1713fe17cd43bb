import pytest


def reserve(stock, item, count):
    if stock[item] < count:
        raise ValueError(f"not enough {item}: have {stock[item]}, need {count}")
    stock[item] -= count
    return stock[item]


def test_reserve_reduces_stock():
    stock = {"bolts": 10}
    assert reserve(stock, "bolts", 3) == 7


def test_reserve_unknown_item_raises():
    with pytest.raises(ValueError):
        reserve({"bolts": 1}, "nuts", 1)


def test_reserve_all_leaves_zero():
    stock = {"nuts": 4}
    assert reserve(stock, "nuts", 4) == 1
