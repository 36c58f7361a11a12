"""The inbox: read returned forms, check them, store their answers and file them away."""
