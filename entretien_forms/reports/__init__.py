"""The workbooks HR opens: the training plan and the interview follow-up."""
