"""延续注册, split along its seams: window (who may renew, when), wizard (the draft and its steps), records (CE
entries and work history), submission (上报 and 撤回)."""
