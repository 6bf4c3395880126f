"""Editing PSA records from the dashboard, through an outbox that never loses an edit.

- ``fields``: a registry ``EditableField``'s value as the form shows it and compares it
  (references by id), and the JSON Patch operation that sets it.
- ``forms``: the edit form, built from the kind's ``editable_fields`` (and its small
  sibling for a ticket's row: status, priority, owner).
- ``services``: storing a ``PendingChange`` with the request, applying it (conflict check,
  the kind's update action or a PATCH through Membrane's proxy, the mirror updated),
  retry, discard, apply anyway.
- ``selectors``: the changes a record page, "My changes" and the list rows show.
- ``rows``: list rows marked with their open change; the inline edit of a ticket's row.
- ``tasks``, ``views``: the apply task and the pages.
"""
