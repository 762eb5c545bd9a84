"""The registration life cycle beyond 延续注册: 初始 (and 逾期初始), 变更, 重新 and 注销 — who may apply for what
(``kinds``), which body reviews (``routing``), the materials (``materials``), and what an approval does
(``effects``, ``numbers``, ``cancellation``)."""
