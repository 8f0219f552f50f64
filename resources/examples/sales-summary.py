"""Summarises sales per region into a CSV, reporting progress.

    jobdeck run resources/examples/sales-summary.py --param region=north
"""
import csv
import json
import os
import random

params = json.loads(os.environ.get("JOBDECK_PARAMS", "{}"))
region = params.get("region", "all")
out_dir = os.environ.get("JOBDECK_OUTPUT_DIR", ".")
regions = ["north", "south", "east", "west"] if region == "all" else [region]

random.seed(42)
print(f"Summarising sales for: {', '.join(regions)}")
path = os.path.join(out_dir, "sales-summary.csv")
with open(path, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["region", "orders", "revenue"])
    for i, name in enumerate(regions, start=1):
        orders = random.randint(100, 1000)
        revenue = round(orders * random.uniform(20, 80), 2)
        writer.writerow([name, orders, revenue])
        print(f"{name}: {orders} orders, {revenue} revenue")
        print(f"::progress {i * 100 // len(regions)} {name} done")
print("::result sales-summary.csv")
