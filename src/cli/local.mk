# cli: the iscsi-nbd program.
