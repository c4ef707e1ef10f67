"""Citizen reports (文明随手拍): the public form, the office's triage, the public boards, Open311."""
