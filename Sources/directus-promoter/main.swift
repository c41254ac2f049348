import DirectusSchema
print("directus-promoter")
