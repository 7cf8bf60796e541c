"""Cause classification: a spaCy pipeline of taxonomy rules and a trained text classifier.

spaCy is imported only inside this package, so the rest of rootcause starts fast.
"""
