import pytest

from garden.engine import Garden, rules


def P(*coords):
    return [{"row": r, "col": c} for r, c in coords]


def plant(g, seed, *coords):
    return g.apply("plant_seed", {"seed": seed, "plots": P(*coords)})


def water(g, *coords):
    return g.apply("water_plots", {"plots": P(*coords)})


def harvest(g, *coords):
    return g.apply("harvest_plots", {"plots": P(*coords)})


def grow(g, seed, *coords):
    plant(g, seed, *coords)
    water(g, *coords)
    water(g, *coords)


def test_planting_puts_a_seed_in_an_empty_plot():
    g = Garden()
    result = plant(g, "rose", (1, 1))
    assert result["status"] == "ok"
    assert g.plot(1, 1).plant == "rose" and g.plot(1, 1).stage == "seed"


def test_watering_a_seed_twice_makes_it_bloom():
    g = Garden()
    plant(g, "daisy", (2, 2))
    assert water(g, (2, 2))["plots"][0]["outcome"] == "grew"
    assert g.plot(2, 2).stage == "sprout"
    water(g, (2, 2))
    assert g.plot(2, 2).stage == "bloom"


def test_watering_a_bloom_changes_nothing_and_says_so():
    g = Garden()
    grow(g, "rose", (1, 1))
    result = water(g, (1, 1))
    assert result["status"] == "refused" and result["plots"][0]["outcome"] == "blooming"
    assert g.plot(1, 1).stage == "bloom"


def test_seed_planted_in_wet_soil_starts_as_if_watered_once():
    g = Garden()
    assert water(g, (3, 3))["status"] == "ok"
    assert g.plot(3, 3).wet
    plant(g, "sunflower", (3, 3))
    assert g.plot(3, 3).stage == "sprout" and not g.plot(3, 3).wet
    water(g, (3, 3))
    assert g.plot(3, 3).stage == "bloom"


def test_harvesting_a_bloom_fills_the_basket_and_scores():
    g = Garden()
    grow(g, "rose", (1, 1))
    result = harvest(g, (1, 1))
    assert result["status"] == "ok"
    assert g.basket == {"rose": 1}
    assert g.score == rules.POINTS["rose"]
    assert g.plot(1, 1).plant is None


def test_harvesting_an_unripe_plant_destroys_it_and_says_so():
    g = Garden()
    plant(g, "rose", (1, 2))
    water(g, (1, 2))
    result = harvest(g, (1, 2))
    assert result["plots"][0]["outcome"] == "destroyed"
    assert "not ripe" in result["plots"][0]["note"]
    assert g.plot(1, 2).plant is None and g.basket == {}


def test_harvesting_an_empty_plot_does_nothing_and_says_so():
    g = Garden()
    result = harvest(g, (2, 1))
    assert result["status"] == "refused"
    assert result["plots"][0]["outcome"] == "empty"
    assert g.basket == {} and g.score == 0


def test_planting_on_an_occupied_plot_is_refused():
    g = Garden()
    plant(g, "rose", (1, 1))
    result = plant(g, "daisy", (1, 1))
    assert result["plots"][0]["outcome"] == "occupied"
    assert g.plot(1, 1).plant == "rose"


def test_coordinates_outside_the_grid_are_refused_per_plot_while_the_rest_applies():
    g = Garden()
    result = plant(g, "rose", (1, 1), (4, 1), (1, 9))
    outcomes = [p["outcome"] for p in result["plots"]]
    assert outcomes == ["planted", "outside", "outside"]
    assert result["status"] == "partial"
    assert "outside" in result["message"]
    assert g.plot(1, 1).plant == "rose"


def test_unknown_seed_is_refused_and_nothing_changes():
    g = Garden()
    before = g.to_dict()
    result = plant(g, "cactus", (1, 1))
    assert result["status"] == "error" and "cactus" in result["message"]
    assert g.to_dict() == before


def test_locked_seed_is_refused_until_unlocked_by_harvesting():
    g = Garden()
    unlock = next(u for u in rules.UNLOCKS if u["seed"] == "tulip")
    assert plant(g, "tulip", (1, 1))["status"] == "refused"
    coords = [(1, c) for c in range(1, 4)][: unlock["harvested"]]
    grow(g, "sunflower", *coords)
    result = harvest(g, *coords)
    assert "tulip" in g.unlocked and "Tulips unlocked" in result["message"]
    assert plant(g, "tulip", (1, 1))["status"] == "ok"


def test_completing_an_order_gives_the_bonus_and_moves_to_the_next():
    g = Garden()
    first = g.order
    coords = [(1, c) for c in range(1, first["count"] + 1)]
    grow(g, first["seed"], *coords)
    result = harvest(g, *coords)
    assert g.order_index == 1
    assert g.score == rules.POINTS[first["seed"]] * first["count"] + first["bonus"]
    assert "Order done" in result["message"]


def test_orders_cycle_with_growing_counts():
    n = len(rules.ORDERS)
    assert rules.order_at(n)["count"] == 2 * rules.ORDERS[0]["count"]


def test_a_plot_named_twice_in_one_call_is_acted_on_once():
    g = Garden()
    plant(g, "rose", (1, 1))
    result = water(g, (1, 1), (1, 1))
    assert len(result["plots"]) == 1 and g.plot(1, 1).stage == "sprout"


def test_results_are_small_json_dicts():
    import json

    g = Garden()
    result = plant(g, "rose", (1, 1), (2, 2))
    assert json.loads(json.dumps(result)) == result
    assert set(result) == {"tool", "status", "plots", "message"}
    assert {"row", "col", "plot", "outcome", "note"} == set(result["plots"][0])


@pytest.mark.parametrize("rows,cols", [(2, 2), (3, 3), (4, 5), (6, 6)])
def test_plots_are_numbered_row_by_row_from_the_top_left(rows, cols):
    g = Garden(rows=rows, cols=cols)
    result = water(g, (rows, cols), (1, 1), (2, 1))
    numbers = [p["plot"] for p in result["plots"]]
    assert numbers == [rows * cols, 1, cols + 1]


@pytest.mark.parametrize("rows,cols", [(1, 3), (7, 3), (3, 0), ("3", 3)])
def test_grid_sizes_outside_2_to_6_are_refused(rows, cols):
    with pytest.raises(ValueError):
        Garden(rows=rows, cols=cols)
