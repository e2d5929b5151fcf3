"""Text rules the answer layer shares with ingest: sentence spans and the boilerplate test.

Quotes must be cut by the same sentence rules that shaped the chunks, and refused by the same
boilerplate rules that cleaned the documents, so both come from the ingest modules.

>>> split_sentences("Beslutet upphävs. Skälen följer t.ex. av 23 §.")
[(0, 17), (18, 46)]
"""

from ingest.cleaning import clean_text, is_boilerplate_line
from ingest.sentences import split_sentences

__all__ = ["clean_text", "is_boilerplate_line", "split_sentences"]
