"""Questionnaire surveys (问卷调查): services (writes), reads (rates, quotas, the survey part), the Excel
import of questions and the exports."""
