"""r2k.data"""
