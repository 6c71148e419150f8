"""`iom shadow`: the code about to be deployed run over the whole recorded history, read-only
against production (see `run`): every regulation edition the store has met against the new
code's (`editions`), every route's events through the new aggregate (`routes`),
every projection rebuilt into a scratch database and compared with the live tables
(`tables`), every workflow history replayed on the new workflow code (`histories`)."""
