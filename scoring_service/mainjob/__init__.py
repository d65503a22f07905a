"""The main job (``nongxin demo``): the whole toolkit end to end on embedded defaults.

Each step is a function taking the job's :class:`~scoring_service.mainjob.context.JobContext`;
it prints what it did, and a failure stops the job with the step's name and a clear message
(:class:`~scoring_service.mainjob.context.StepFailed`). :mod:`scoring_service.mainjob.frame`
turns a sandbox province into one modelling frame (also used by the notebooks).
"""
