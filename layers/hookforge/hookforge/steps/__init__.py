"""Domain logic of each state-machine step; a handler validates its event and calls `<step>.run`.

Step modules are imported by name (`from hookforge.steps import poll_video`), never all at once, so
each Lambda loads only what its own step needs. What a step needs comes from `hookforge.deps.Deps`.
"""
