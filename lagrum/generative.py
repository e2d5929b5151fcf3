"""Generative answers through an OpenAI-compatible endpoint (Ollama, vLLM, ...), with checked citations.

The model sees numbered passages and must cite them as `[n]`. Every marker is validated
against the passages it was given; unsupported markers are removed and reported in `notes`.
The citations keep the passages' verbatim quotes and offsets, so they stay checkable whatever
the model writes.

>>> answerer = GenerativeAnswerer(url="http://127.0.0.1:11434/v1", model="llama3.1")
>>> answer = answerer.answer("Är webbkameror på jobbet lagliga?", "sv", hits)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from lagrum.answer import LEAD_IN, NOT_FOUND, Answer, validate_markers
from lagrum.citations import citation_from_hit
from lagrum.retrieval import Hit

SYSTEM_PROMPT = {
    "sv": (
        "Du besvarar juridiska frågor enbart utifrån de numrerade källorna. Hänvisa till källan "
        "efter varje påstående med [n]. Om källorna inte besvarar frågan, säg det. Hitta aldrig på "
        "något. Svara på svenska, kort."
    ),
    "en": (
        "You answer legal questions only from the numbered sources. Cite the source after every "
        "claim as [n]. If the sources do not answer the question, say so. Never make anything up. "
        "Answer in English, briefly; the sources may be in Swedish."
    ),
}


class GenerativeAnswerer:
    """Answer with a chat model through Haystack's `OpenAIChatGenerator`.

    :param url: base URL of an OpenAI-compatible API (`LAGRUM_LLM_URL`).
    :param model: model name (`LAGRUM_LLM_MODEL`).
    :param api_key: API key if the endpoint needs one (`LAGRUM_LLM_API_KEY`).
    :param timeout: seconds before the request is abandoned (the extractive answer is used then).
    """

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 60.0):
        from haystack.components.generators.chat import OpenAIChatGenerator
        from haystack.utils import Secret

        self.generator = OpenAIChatGenerator(
            api_key=Secret.from_token(api_key or "not-needed"),
            model=model,
            api_base_url=url,
            timeout=timeout,
            max_retries=0,
            generation_kwargs={"temperature": 0},
        )

    @classmethod
    def from_settings(cls, settings: Any) -> "GenerativeAnswerer | None":
        if not (settings.llm_url and settings.llm_model):
            return None
        return cls(settings.llm_url, settings.llm_model, settings.llm_api_key)

    def answer(self, question: str, language: str, hits: list[Hit]) -> Answer:
        from haystack.dataclasses import ChatMessage

        sources = "\n\n".join(f"[{n}] {hit.title}\n{' '.join(hit.text.split())}" for n, hit in enumerate(hits, 1))
        messages = [
            ChatMessage.from_system(SYSTEM_PROMPT.get(language, SYSTEM_PROMPT["sv"])),
            ChatMessage.from_user(f"Källor / sources:\n\n{sources}\n\nFråga / question: {question}"),
        ]
        reply = self.generator.run(messages=messages)["replies"][0].text or ""
        text, used, notes = validate_markers(reply, len(hits))
        if not used:
            notes.append("the model's answer cited none of the passages, so it is not shown")
            return Answer(question=question, answer=NOT_FOUND[language], found=False, notes=notes, mode="generative", language=language)
        # Renumber so the citations read 1..k in the order the answer uses them.
        renumber = {old: new for new, old in enumerate(used, 1)}
        text = _renumber(text, renumber)
        citations = [
            citation_from_hit(renumber[old], hits[old - 1], hits[old - 1].start, hits[old - 1].end, hits[old - 1].text) for old in used
        ]
        return Answer(
            question=question,
            answer=f"{LEAD_IN[language]}\n\n{text}" if language == "en" else text,
            found=True,
            citations=citations,
            notes=notes,
            mode="generative",
            language=language,
        )


def _renumber(text: str, mapping: dict[int, int]) -> str:
    import re

    return re.sub(r"\[(\d{1,3})\]", lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
