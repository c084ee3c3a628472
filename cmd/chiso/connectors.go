package main

// Every connector type registers itself from init().
import (
	_ "chiso/sync/connectors/dvc"
	_ "chiso/sync/connectors/dvcdir"
	_ "chiso/sync/connectors/edxmldir"
	_ "chiso/sync/connectors/ical"
	_ "chiso/sync/connectors/meetingsfile"
	_ "chiso/sync/connectors/register"
	_ "chiso/sync/connectors/vxp"
)
