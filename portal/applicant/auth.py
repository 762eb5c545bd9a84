"""Applicant login, logout, 设置密码 and 忘记密码 (to be filled by the accounts work)."""
