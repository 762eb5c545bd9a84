"""Accounts: applicants (设置密码, 忘记密码, profile, ID upgrade), logins and lockouts, live sessions, staff accounts
and the help a registration body gives (reset, unlock), and the applicant's 公告信息 panel."""
