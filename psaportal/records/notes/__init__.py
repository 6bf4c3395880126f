"""A ticket's notes: the ticket's own notes and its time entries' notes.

- ``services``: the ``TicketNote`` mirror, refreshed from the PSA's ``allNotes`` in a task,
  and the notes a new note's PendingChange adds once the PSA created it.
- ``forms``, ``views``, ``tasks``: the "Add note" form (through the outbox in
  ``records.changes``), the notes section of the ticket page, its refresh task.
"""
