"""The game's rules as data. Change a number here and the game (and README table) follow.

Growth: a plant needs water twice to bloom (seed -> sprout -> bloom). Watering an empty plot wets
it, and a seed planted in wet soil starts as if watered once.
"""

STAGES = ("seed", "sprout", "bloom")

# Points for harvesting one bloom of each kind.
POINTS = {"sunflower": 10, "daisy": 10, "rose": 15, "tulip": 20}

# Seeds available from the start; the others unlock as below.
STARTING_SEEDS = ("sunflower", "daisy", "rose")

# An unlock opens a seed once the player has harvested `harvested` blooms in total.
UNLOCKS = [
    {"seed": "tulip", "harvested": 3, "message": "Tulips unlocked: you harvested your first 3 flowers!"},
]

# Orders are the goals the player works through, one at a time, in this order. When the list
# runs out it starts again with the counts doubled, so there is always something to play for.
ORDERS = [
    {"seed": "sunflower", "count": 1, "bonus": 10},
    {"seed": "daisy", "count": 2, "bonus": 20},
    {"seed": "rose", "count": 3, "bonus": 40},
    {"seed": "tulip", "count": 2, "bonus": 40},
    {"seed": "sunflower", "count": 4, "bonus": 50},
    {"seed": "rose", "count": 4, "bonus": 60},
]


def order_at(index: int) -> dict:
    """The index-th order, cycling through ORDERS with growing counts."""
    base = ORDERS[index % len(ORDERS)]
    lap = index // len(ORDERS)
    return {"seed": base["seed"], "count": base["count"] * (lap + 1), "bonus": base["bonus"] * (lap + 1)}
