"""From a question as typed to the index terms that retrieve its answer."""

from retrieval.index import Index
from retrieval.tokenizer import segment

# Question words say what kind of answer is wanted, but answers never contain them:
# as query terms they only pull in other questions and headlines.
QUESTION_WORDS = frozenset(
    """ai gì cái_gì nào bao_giờ khi_nào lúc_nào ngày_nào năm_nào tháng_nào bao_nhiêu mấy
    đâu ở_đâu tại_đâu như_thế_nào thế_nào ra_sao vì_sao tại_sao sao không có_phải là_gì
    hả vậy nhỉ nhé ạ""".split()
)


def content_terms(text: str) -> list[str]:
    """The segmented terms of `text` without question words."""
    return [t for t in segment(text) if t not in QUESTION_WORDS]


def query_terms(index: Index, text: str) -> list[int]:
    """Vocabulary ids of the content terms of `text` (terms the corpus never uses dropped)."""
    vocab = index.vocab
    return [vocab[t] for t in content_terms(text) if t in vocab]
