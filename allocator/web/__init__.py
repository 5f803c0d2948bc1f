"""The planner's workspace in the browser (`allocator serve`): a local web page over the public API.

`folders` decides what the page may read and write (the scenario folders given and nothing else);
`levers` lists the numbers a planner can move, with unit and range; `variants` solves them on a pool of
warm what-if sessions (allocator.Session) off the event loop, cancellably; `views` turns a solved variant
into what the page shows (the review's tables, rounded as the command line rounds them) and says what
moved against the base; `files` saves a variant as a scenario file and exports its review pack; `app`
is the Starlette application. Needs the ``web`` extra (pip install 'allocator-lp[web]').
"""
