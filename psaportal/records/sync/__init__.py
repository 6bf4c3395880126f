"""The sync side of the records app: keeping the mirror in step with the PSA.

- ``services``: starting sync jobs (a view, the beat schedule), running a job kind by kind
  and a kind page by page (``SyncRun``, ``SyncPage``), watermarks, one-record refresh.
- ``fetch``: reading PSA pages through Membrane's proxy (forward-only paging, counts).
- ``store``: writing pages into the mirror in bulk, removing what the PSA deleted.
- ``tasks``: the Celery tasks, thin shells around ``services``.
- ``status``, ``forms``, ``views``: the sync status page and the form that starts a sync.
"""
