"""r2k.runner"""
