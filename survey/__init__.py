"""The survey core, in pure Python (NumPy, no Django): the catalog and its definitions, the column
store, audience expressions, the statistics engine, prompt understanding and the deterministic
data generator. The Django project (insights/, mcp_api/) builds on it; nothing here imports it.
"""
