"""Editing PSA records from the dashboard, through an outbox that never loses an edit.

- ``fields``: a registry ``EditableField``'s value as the form shows it and compares it
  (references by id), and the JSON Patch operation that sets it.
- ``forms``: the edit form, built from the kind's ``editable_fields``.
- ``services``: storing a ``PendingChange`` with the request, applying it (conflict check,
  PATCH through Membrane's proxy, the mirror updated), retry, discard, apply anyway.
- ``selectors``: the changes a record page and "My changes" show.
- ``tasks``, ``views``: the apply task and the pages.
"""
