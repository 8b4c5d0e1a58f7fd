"""Beyond one machine: inputs and outputs named by fsspec URLs, and the Dask engine.

- ``storage``: URLs, listing page by page, fetch, publish-only-complete, temp sweep
- ``tasks``: the per-object label and verify work (picklable, runs in any worker)
- ``journal``: the resume journal as segment objects beside URL outputs
- ``urls``: ``label_urls`` / ``verify_plan``, the batch flow for URLs
- ``dask_engine``: ``DaskEngine.run``, ``labeler.batch.run``'s signature on a Dask cluster
- ``cli``: ``--engine``, ``--scheduler``, ``--storage-option`` and the choice of flow

Everything here imports fsspec and distributed only when used: the extra ``dask`` installs them.
"""
