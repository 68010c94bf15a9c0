"""r2k.reports"""
