"""The Hayhooks example wrapper (examples/hayhooks) loads through Hayhooks' own module loader and
answers from a real index (no network: Hayhooks is only imported, no server is started)."""

from __future__ import annotations

import pytest

from conftest import ROOT


def test_hayhooks_loads_the_example_wrapper_and_it_answers(corpus_service, corpus_settings, monkeypatch):
    pytest.importorskip("hayhooks", reason="HAYHOOKS MISSING: pip install -e '.[haystack]'")
    from hayhooks.server.utils.module_loader import create_pipeline_wrapper_instance, load_pipeline_module

    monkeypatch.setenv("LAGRUM_DATA", str(corpus_settings.data_dir))  # the wrapper reads settings from the environment
    module = load_pipeline_module("lagrum_ask", ROOT / "examples" / "hayhooks" / "lagrum_ask")
    wrapper = create_pipeline_wrapper_instance(module)  # calls setup(), checks run_api is implemented
    answer = wrapper.run_api("Får arbetsgivaren kräva att handläggare arbetar framför webbkamera?")
    assert answer["found"] and answer["citations"]
    expected = corpus_service.ask("Får arbetsgivaren kräva att handläggare arbetar framför webbkamera?")
    assert [c["quote"] for c in answer["citations"]] == [c["quote"] for c in expected["citations"]]
