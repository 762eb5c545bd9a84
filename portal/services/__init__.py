"""The domain rules, free of request globals, each function taking the acting user; grouped by area:

accounts/        applicants' accounts (设置密码, 忘记密码, profile, ID upgrade), logins and lockouts, live sessions,
                 staff accounts and what a body does for them (reset, unlock), the 公告信息 panel
renewal/         延续注册: window (eligibility), wizard (draft and steps), records (CE, work history), submission
review/          the application state machine's functions (transitions) and the console's scope and queue
corrections.py   证件信息更正, the fax-verified identity correction
documents/       PDF rendering and the 申请表
infrastructure/  mail, captcha, challenges, passwords, audit rows, stored notices, calendar arithmetic
data/            CSV imports, demonstration data, synthetic data for benchmarks
errors.py        DomainError and NotFound, which every area raises
"""
