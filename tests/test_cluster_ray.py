"""The sharded index on a real local Ray cluster (two CPUs, no dashboard): shards as
actors with two replicas each, answers identical to one index, a killed actor's
questions answered by its replica while Ray restarts it, a shard with every replica
down said so, an update followed by the actors, the build as Ray tasks."""

import time
from pathlib import Path

import pytest

from retrieval import Engine
from retrieval.cluster import ShardsUnavailable, store
from retrieval.cluster.building import build_sharded, shard_of
from retrieval.cluster.coordinator import INCOMPLETE_HINT, ClusterEngine
from retrieval.cluster.serving import RayShards
from retrieval.index import load_live
from tests.cluster_support import copy_seeds, differences, seed_questions
from tests.test_cluster import NEW_ARTICLE

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "hoidap[cluster]")')

QUESTION = "Ai chủ trì cuộc họp về triển khai công tác phục vụ Đại hội XIV tại Bộ Ngoại giao?"


@pytest.fixture(scope="module")
def local_ray():
    try:
        ray.init(
            address="local",
            num_cpus=2,
            include_dashboard=False,
            logging_level="ERROR",
            log_to_driver=False,
        )
    except Exception as exc:  # Ray raises many kinds when it cannot start here
        pytest.skip(f"a local Ray cluster cannot start here: {exc}")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Engine]:
    folder = tmp_path_factory.mktemp("ray")
    corpus = copy_seeds(folder, copies=3)
    return corpus, Engine.open(corpus, folder / "single", notice=lambda _: None)


@pytest.fixture(scope="module")
def served(local_ray, seeds):
    """The seeds in 2 shards built as Ray tasks, served by 2 replicas a shard; shared by
    the tests below in their order (the last one takes a shard down)."""
    corpus, _ = seeds
    root = corpus.parent / "sharded"
    build_sharded(corpus, root, 2, lambda _: None, use_ray=True)
    shards = RayShards(root, 2, replicas=2, timeout=3.0, hedge=0.3)
    engine = ClusterEngine(root, shards)
    shards.load(engine.generation)
    yield engine
    shards.kill()


def _replica_pid(shards: RayShards, shard: int, replica: int, generation: str) -> int:
    return ray.get(shards.actors[shard][replica].load.remote(generation), timeout=60)


def test_actors_answer_as_one_index(served: ClusterEngine, seeds) -> None:
    _, single = seeds
    questions = seed_questions()[:16]
    assert differences(single, served, questions) == []


def test_engine_open_uses_the_cluster_when_an_address_is_set(
    served: ClusterEngine, seeds, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, single = seeds
    monkeypatch.setenv("HOIDAP_RAY_ADDRESS", "local")
    monkeypatch.setenv("HOIDAP_CLUSTER_REPLICAS", "2")
    # The same sharded index: its named actors are found, not started again.
    engine = Engine.open(corpus, served.root, notice=lambda _: None)
    assert isinstance(engine, ClusterEngine)
    assert engine.ask(QUESTION).to_dict() == single.ask(QUESTION).to_dict()
    actors = engine.shards.actors  # type: ignore[attr-defined]
    assert [len(replicas) for replicas in actors] == [2, 2]
    pids = {_replica_pid(engine.shards, s, r, engine.generation) for s in (0, 1) for r in (0, 1)}  # type: ignore[arg-type]
    assert pids == {
        _replica_pid(served.shards, s, r, served.generation)  # type: ignore[arg-type]
        for s in (0, 1)
        for r in (0, 1)
    }


def test_killed_actor_is_replaced_by_its_replica_and_restarted(served, seeds) -> None:
    _, single = seeds
    shards: RayShards = served.shards  # type: ignore[assignment]
    expected = single.ask(QUESTION).to_dict()
    before = _replica_pid(shards, 0, 0, served.generation)
    ray.kill(shards.actors[0][0], no_restart=False)
    # Asked while the actor is dead or restarting: one of every two calls goes to it first.
    for _ in range(4):
        assert served.ask(QUESTION).to_dict() == expected
    deadline = time.monotonic() + 60
    while True:
        try:
            after = _replica_pid(shards, 0, 0, served.generation)
            break
        except ray.exceptions.RayActorError:
            assert time.monotonic() < deadline, "Ray did not restart the killed actor"
            time.sleep(0.5)
    assert after != before


def test_update_reaches_its_shard_and_every_actor(served: ClusterEngine, seeds) -> None:
    corpus, _ = seeds
    shards: RayShards = served.shards  # type: ignore[assignment]
    question = "Tuyến buýt điện số 99 dài bao nhiêu km?"
    assert not served.ask(question).answered
    new = corpus / "zz_buyt_dien.txt"
    new.write_text(NEW_ARTICLE, encoding="utf-8")
    target = shard_of(new, corpus, 2)
    before = [s.name for s in load_live(store.shard_path(served.root, target)).segments]
    notices: list[str] = []
    generation = build_sharded(corpus, served.root, 2, notices.append, use_ray=True)
    assert notices[0] == f"indexing shards {target} of 2"
    # Written as one more segment of its shard...
    now = [s.name for s in load_live(store.shard_path(served.root, target)).segments]
    assert now[:-1] == before and len(now) == len(before) + 1
    # ...and swapped in by every replica of every shard before the next question.
    assert notices[-1] == "4 shard actors serve the update"
    for s in range(2):
        expected = [x.name for x in load_live(store.shard_path(served.root, s)).segments]
        for actor in shards.actors[s]:
            call = actor.call.remote(generation, "segment_names", ())
            assert ray.get(call, timeout=30) == expected
    answer = served.ask(question)
    assert answer.answered and answer.sentences[0].document.path == new
    single = Engine.open(corpus, corpus.parent / "single-after", notice=lambda _: None)
    assert differences(single, served, [question, QUESTION]) == []


def test_a_shard_with_every_replica_down_is_said_so(served: ClusterEngine) -> None:
    shards: RayShards = served.shards  # type: ignore[assignment]
    for actor in shards.actors[1]:
        ray.kill(actor, no_restart=True)
    # ray.kill returns before the actor is gone: wait until calling it fails.
    for actor in shards.actors[1]:
        with pytest.raises(ray.exceptions.RayActorError):
            for _ in range(100):
                ray.get(actor.load.remote(served.generation), timeout=30)
                time.sleep(0.1)
    answer = served.ask(QUESTION)
    assert not answer.answered and answer.hint == INCOMPLETE_HINT
    assert answer.sentences == []
    with pytest.raises(ShardsUnavailable, match="shard"):
        served.search("Đại hội XIV")
