"""Tasks and data pipelines; importing this package registers every built-in task.

One module per task family: copy_task (copy), selective_copy, mnist (smnist, psmnist,
fashion_mnist), cifar (scifar, scifar_gray), digits, imdb, listops, aan, pathfinder (pathfinder,
pathx), recall_stream.
`python -m lru_rtrl.list_tasks` lists them with the data each needs.
"""

from lru_rtrl.data.base import Batch, DataError, Task, TaskSpec  # noqa: F401

# Imported for their side effect: each module registers its tasks in TASKS.
from lru_rtrl.data import aan  # noqa: F401,E402
from lru_rtrl.data import cifar  # noqa: F401,E402
from lru_rtrl.data import copy_task  # noqa: F401,E402
from lru_rtrl.data import digits  # noqa: F401,E402
from lru_rtrl.data import imdb  # noqa: F401,E402
from lru_rtrl.data import listops  # noqa: F401,E402
from lru_rtrl.data import mnist  # noqa: F401,E402
from lru_rtrl.data import pathfinder  # noqa: F401,E402
from lru_rtrl.data import recall_stream  # noqa: F401,E402
from lru_rtrl.data import selective_copy  # noqa: F401,E402
