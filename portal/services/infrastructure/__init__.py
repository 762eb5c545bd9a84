"""Infrastructure the areas share: mail, captcha and its challenges, password hashing, audit rows, stored
notices and calendar arithmetic."""
