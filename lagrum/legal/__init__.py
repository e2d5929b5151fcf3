"""Legal structure: the registry of statutes and authorities, references, query parsing and relations.

- `registry`: curated statutes, authorities, case outcomes and glossary (`corpus/registry/*.yaml`).
- `references`: `extract_references` finds "23 § kameraövervakningslagen", "art. 6.1 f GDPR", "mål 383-16".
- `query`: `parse_query` detects language, named provisions and expands the lexical query.
- `relations`: `detect_relation_statements` and `identifiers_of` read what a document overturns and who it is.
- `operative`: `operative_relations` reads what a ruling's operative part decides about the decision its head names.
- `annotate`: `annotate_document`, the ingest hook that attaches all of the above.
"""
