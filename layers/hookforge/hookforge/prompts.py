"""Prompt rewriting without a language model: a borrowed prompt's subject becomes the brief's product, and a
reviewer's feedback rewrites the prompt instead of being appended to it.

A prompt is read as comma-separated segments: the first names the subject ("a sneaker bursting through a wall
of neon paint"), the rest are style ("dramatic rim light", "85mm", "cinematic"). So:

- `swap_subject` keeps the style segments of a proven prompt and puts the product where its subject was (the
  catalog's entries name their subject exactly; for a web prompt the first segment is taken as the subject);
- `rewrite_with_feedback` reads the feedback as clauses: "no X" / "without X" / "less X" remove every segment
  naming X (the subject segment is replaced by the product or by what "only Y" / "show Y" asks for), "only Y"
  makes Y the subject, anything else ("darker background", "more motion blur") is added as style. A prompt left
  empty is BriefInvalid naming the feedback field.

An edited prompt from the approval page travels with the feedback as one JSON object (`encode_feedback`), the
only way through the state machine's `Regenerate` cause; `decode_feedback` reads either form.
"""

from __future__ import annotations

import json
import re

from hookforge.errors import BriefInvalid
from hookforge.providers.ranking import STOPWORDS, SYNONYMS, stem, terms

_CLAUSES = re.compile(r"[.;\n!]+|,\s*|\s+but\s+|\s+and\s+(?=(?:no|not|without|only|just|show|make|less)\b)", re.I)
_NEGATIVE = re.compile(
    r"^(?:please\s+)?(?:no|not|without|remove|drop|lose|less|fewer|stop|avoid|get rid of|instead of|"
    r"don'?t\s+(?:show|use|want|need)|do not\s+(?:show|use|want|need)|never)\s+(?:the\s+|any\s+|a\s+|an\s+)?(.+)$",
    re.I,
)
_ONLY = re.compile(r"^(?:please\s+)?(?:only|just)\s+(?:show\s+)?(?:the\s+|a\s+|an\s+)?(.+)$", re.I)
_SHOW = re.compile(r"^(?:please\s+)?(?:show|feature|focus on|put)\s+(?:the\s+|a\s+|an\s+)?(.+)$", re.I)
_GENERIC = frozenset({"thing", "stuff", "one", "image", "picture", "photo", "shot", "this", "that", "it"})


def segments(prompt: str) -> list[str]:
    return [s.strip() for s in prompt.split(",") if s.strip()]


def _content(phrase: str) -> set[str]:
    return {t for t in terms(phrase) if t not in _GENERIC and len(t) > 2}


def swap_subject(text: str, product: str, *, subject: str | None = None) -> str:
    """`text` with its subject (the named `subject`, else the first segment) replaced by `product`."""
    product = product.strip()
    if not product:
        return text
    if subject and subject in text:
        return text.replace(subject, product, 1)
    parts = segments(text)
    return ", ".join([product, *parts[1:]]) if parts else product


def rewrite_with_feedback(prompt: str, feedback: str, *, product: str = "") -> str:
    """The prompt rewritten by the reviewer's feedback (see the module docstring); BriefInvalid when empty."""
    rejected: set[str] = set()
    subject: str | None = None
    additions: list[str] = []
    for clause in (c.strip(" '\"") for c in _CLAUSES.split(feedback)):
        if not clause:
            continue
        if m := _NEGATIVE.match(clause):
            rejected |= _content(m[1])
        elif m := _ONLY.match(clause):
            subject = m[1].strip()
        elif m := _SHOW.match(clause):
            subject = subject or m[1].strip()
        elif _content(clause):
            additions.append(clause)
    parts = segments(prompt)
    kept: list[str] = []
    for i, part in enumerate(parts):
        named = _content(part)
        if i == 0 and (subject or named & rejected):
            replacement = subject or (product if product and not _content(product) & rejected else "")
            if replacement:
                kept.append(replacement)
            continue
        if named & rejected:
            continue
        kept.append(part)
    seen = {p.lower() for p in kept}
    kept += [a for a in additions if a.lower() not in seen and not _content(a) & rejected]
    text = ", ".join(kept).strip(" ,")
    if not _content(text):
        raise BriefInvalid(
            f"feedback: rewriting the prompt with {feedback[:120]!r} left nothing to draw; "
            "say what to show (e.g. 'only the sneaker on wet asphalt') or edit the image prompt on the page"
        )
    return text


def product_of(query: str, vocabulary: dict[str, int]) -> str:
    """The product a query is about: a product noun the ranking knows synonyms for ('sneaker', 'coffee'), else
    the query's rarest term that the prompt corpus knows (`vocabulary`: term -> prompts using it), else its first
    content word."""
    words = [t for t in terms(query) if t not in STOPWORDS and len(t) > 2]
    nouns = [w for w in words if w in SYNONYMS]
    if nouns:
        return nouns[0]
    known = [w for w in words if vocabulary.get(w)]
    if known:
        return min(known, key=lambda w: (vocabulary[w], words.index(w)))
    return words[0] if words else ""


def product_phrase(product: str) -> str:
    """'sneaker' -> 'a sneaker' (a phrase to stand where a prompt's subject stood)."""
    if not product or " " in product:
        return product
    return ("an " if product[0] in "aeiou" else "a ") + product


def encode_feedback(feedback: str, prompt: str | None) -> str:
    """What travels as the Regenerate cause: the feedback, or feedback plus an edited prompt as JSON."""
    if not prompt or not prompt.strip():
        return feedback
    return json.dumps({"feedback": feedback, "prompt": prompt.strip()})


def decode_feedback(raw: str) -> tuple[str, str | None]:
    """(feedback, edited prompt or None) from a Regenerate cause."""
    text = raw.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return raw, None
        if isinstance(value, dict) and isinstance(value.get("prompt"), str):
            return str(value.get("feedback") or ""), value["prompt"]
    return raw, None


__all__ = [
    "decode_feedback",
    "encode_feedback",
    "product_of",
    "product_phrase",
    "rewrite_with_feedback",
    "segments",
    "stem",
    "swap_subject",
]
