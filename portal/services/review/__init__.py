"""Review: the state machine's transitions (one function per entry of portal/models/workflow.py) and the console's
scope, queue, decisions and exports."""
