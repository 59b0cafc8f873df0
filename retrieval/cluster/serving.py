"""Reaching the shards: in this process, or as Ray actors with replicas.

Each shard is served by `replicas` actors (named, detached, so `hoidap ask` and the bot
share them, spread over the nodes). Ray restarts an actor that dies. A call goes to one
replica in turn; when it fails, or has not answered after `hedge` seconds (an actor
being restarted queues its calls), the next replica is asked too and the first answer
wins. A shard none of whose replicas answered within `timeout` seconds raises
ShardsUnavailable: the coordinator never answers from part of the corpus.
"""

import hashlib
import itertools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retrieval.cluster.coordinator import ShardsUnavailable
from retrieval.cluster.shard import Shard
from retrieval.index import IndexUnreadable

NAMESPACE = "hoidap"


class LocalShards:
    """Every shard loaded in this process (no Ray): for one machine and for tests. A new
    generation (an update) loads only the segments it adds; the previous one stays loaded
    for calls that still name it (a question asked just before the update)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.loaded: dict[int, dict[str, Shard]] = {}

    def shard(self, number: int, generation: str) -> Shard:
        held = self.loaded.get(number, {})
        found = held.get(generation)
        if found is None:
            newest = list(held.values())[-1:]
            found = Shard(self.root, number, generation, newest[0].cache if newest else None)
            self.loaded[number] = {s.generation: s for s in [*newest, found]}
        return found

    def call(
        self, generation: str, method: str, args: tuple[Any, ...], shards: Sequence[int]
    ) -> list[Any]:
        return [getattr(self.shard(s, generation), method)(*args) for s in shards]


class ShardServer:
    """The body of a shard actor: one shard, reloaded when a call names a newer
    generation of the global statistics (an update)."""

    def __init__(self, root: str, number: int) -> None:
        self.shards = LocalShards(Path(root))
        self.number = number

    def call(self, generation: str, method: str, args: tuple[Any, ...]) -> Any:
        return getattr(self.shards.shard(self.number, generation), method)(*args)

    def load(self, generation: str) -> int:
        """Load `generation` (a start, an update) and warm it, between two questions."""
        import os

        self.shards.shard(self.number, generation).warm()
        return os.getpid()


def _actor_class() -> Any:
    import ray

    return ray.remote(ShardServer)


def _prefix(root: Path) -> str:
    return f"shard-{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]}-"


def preload(root: Path, generation: str, timeout: float = 120.0) -> int:
    """Have the running actors of the sharded index at `root` load `generation` (just
    saved by an update), each between two questions, so that no question waits for it;
    returns how many did. An actor down meanwhile loads it at its next question."""
    import ray

    prefix = _prefix(root)
    refs = []
    for entry in ray.util.list_named_actors(all_namespaces=True):
        if entry["namespace"] == NAMESPACE and entry["name"].startswith(prefix):
            try:
                actor = ray.get_actor(entry["name"], namespace=NAMESPACE)
            except ValueError:  # gone since it was listed
                continue
            refs.append(actor.load.remote(generation))
    loaded = 0
    for ref in refs:
        try:
            ray.get(ref, timeout=timeout)
            loaded += 1
        except (ray.exceptions.RayError, IndexUnreadable):
            pass
    return loaded


class RayShards:
    """`shards` x `replicas` actors serving the sharded index at `root`."""

    def __init__(
        self,
        root: Path,
        shards: int,
        replicas: int = 2,
        timeout: float = 5.0,
        hedge: float = 0.5,
        actor_cpus: float = 0.0,
    ) -> None:
        import ray

        self.timeout, self.hedge = timeout, min(hedge, timeout)
        prefix = _prefix(root)
        actor = _actor_class()
        self.actors = [
            [
                actor.options(
                    name=f"{prefix}{s}-{r}",
                    namespace=NAMESPACE,
                    get_if_exists=True,
                    lifetime="detached",
                    max_restarts=-1,
                    max_task_retries=0,
                    num_cpus=actor_cpus,
                    scheduling_strategy="SPREAD",
                ).remote(str(root.resolve()), s)
                for r in range(replicas)
            ]
            for s in range(shards)
        ]
        self._turn = itertools.count()
        self._errors = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError)

    def load(self, generation: str, timeout: float = 120.0) -> list[int]:
        """Have every replica load `generation`; their process ids. Loading maps the
        arrays, so it takes about as long as opening one index."""
        import ray

        refs = [a.load.remote(generation) for replicas in self.actors for a in replicas]
        return ray.get(refs, timeout=timeout)

    def kill(self) -> None:
        """End every actor (they are detached: they outlive the processes that use them)."""
        import ray

        for actor in itertools.chain.from_iterable(self.actors):
            ray.kill(actor, no_restart=True)

    def call(
        self, generation: str, method: str, args: tuple[Any, ...], shards: Sequence[int]
    ) -> list[Any]:
        import ray

        deadline = time.monotonic() + self.timeout
        start = next(self._turn)
        tried: dict[int, list[int]] = {s: [] for s in shards}
        pending: dict[Any, int] = {}
        results: dict[int, Any] = {}

        def ask(shard: int) -> None:
            replicas = self.actors[shard]
            for step in range(len(replicas)):
                replica = (start + step) % len(replicas)
                if replica not in tried[shard]:
                    tried[shard].append(replica)
                    ref = replicas[replica].call.remote(generation, method, args)
                    pending[ref] = shard
                    return

        for shard in shards:
            ask(shard)
        while len(results) < len(shards) and pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=min(left, self.hedge))
            if not ready:
                # Slow (restarting, or its node gone quiet): ask another replica too.
                for shard in {s for s in pending.values() if s not in results}:
                    ask(shard)
                continue
            shard = pending.pop(ready[0])
            if shard in results:
                continue
            try:
                results[shard] = ray.get(ready[0])
            except self._errors:
                if shard not in pending.values():
                    ask(shard)
        missing = [s for s in shards if s not in results]
        if missing:
            raise ShardsUnavailable(missing)
        return [results[s] for s in shards]
