"""r2k.strategies"""
