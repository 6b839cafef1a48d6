// unit tests added below
